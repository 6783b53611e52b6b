//! `herd flash compare`: the load generator against every model and nginx.
