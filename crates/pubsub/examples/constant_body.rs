//! The baseline of the pub/sub benchmark: hyper on the same `netkit` skeleton, same
//! runtime and limits as `herd pubsub`, answering every request with a constant 200 body
//! after reading the request body. What `herd pubsub` costs beyond this is the broker.
//!
//! ```text
//! cargo build --release -p pubsub --example constant_body
//! taskset -c 0 target/release/examples/constant_body 127.0.0.1:18098
//! ```

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body as pub/sub does, so both servers do the same HTTP work.
    let _ = req.into_body().collect().await;
    Ok(Response::new(Full::new(Bytes::from_static(
        b"constant body",
    ))))
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18098".into());
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("constant body on {}", listener.local_addr()?);
        let stop = netkit::Shutdown::new();
        stop.trigger_on(netkit::signal::ctrl_c_or_term());
        netkit::serve(
            listener,
            netkit::Limits::default(),
            stop,
            |conn| async move {
                netkit::serve_http(conn, hyper::service::service_fn(answer)).await;
            },
        )
        .await;
        Ok(())
    })
}
