//! The shipped image: scripts/image/build.sh builds it with buildah (FROM scratch, a
//! statically linked herd, the CA bundle, a non-root user), and the relay started in it
//! answers from a menu-api on the host, found by name (`localhost`, so the static
//! binary's name resolution is exercised too), as user 65532.
//!
//! Skipped, with the reason printed, where buildah is not installed. Bounded: the build
//! (a release build of the workspace when cold) gets [`BUILD_LIMIT`], the relay in the
//! image [`START_LIMIT`] to listen; every process started here is in a process group of
//! its own that is stopped (SIGTERM, then SIGKILL) and every container and image removed,
//! pass or fail. Prints how long the build and the run took.

mod support;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use support::{get, listening_addr, HERD};

/// A cold static release build on a loaded 2-core machine took 10 minutes.
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);
/// From `buildah run` to the relay's "listening on" line.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A child in a process group of its own (with everything it starts), stopped on drop:
/// SIGTERM to the group, up to 10 s to exit, then SIGKILL.
struct Group(Child);

impl Group {
    fn spawn(cmd: &mut Command) -> Group {
        Group(cmd.process_group(0).spawn().unwrap())
    }

    fn pgid(&self) -> Pid {
        Pid::from_raw(self.0.id() as i32)
    }

    /// Wait for the exit status until `limit`; `None` if it is still running.
    fn wait_for(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = killpg(self.pgid(), Signal::SIGTERM);
        if self.wait_for(Duration::from_secs(10)).is_none() {
            let _ = killpg(self.pgid(), Signal::SIGKILL);
            let _ = self.0.wait();
        }
        // Members that outlived the leader (buildah's chroot helpers) go too.
        let _ = killpg(self.pgid(), Signal::SIGKILL);
    }
}

/// buildah with the storage options build.sh uses (`BUILDAH_OPTS`, default vfs).
fn buildah() -> Command {
    let opts = std::env::var("BUILDAH_OPTS").unwrap_or_else(|_| "--storage-driver vfs".into());
    let mut c = Command::new("buildah");
    c.args(opts.split_whitespace());
    c
}

/// The image and its working container, removed on drop.
struct Built {
    image: String,
    container: Option<String>,
}

impl Drop for Built {
    fn drop(&mut self) {
        if let Some(c) = &self.container {
            let _ = buildah().args(["rm", c]).output();
        }
        let _ = buildah().args(["rmi", "--force", &self.image]).output();
    }
}

/// The uid a process named `herd` in process group `pgid` runs as (from /proc).
fn herd_uid_in(pgid: Pid) -> Option<u32> {
    for dir in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(dir.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after ')'.
        let Some((head, tail)) = stat.rsplit_once(") ") else {
            continue;
        };
        let pgrp = tail.split(' ').nth(2).and_then(|p| p.parse::<i32>().ok());
        if !head.ends_with("(herd") || pgrp != Some(pgid.as_raw()) {
            continue;
        }
        let status = std::fs::read_to_string(dir.path().join("status")).ok()?;
        let uid = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
        return uid.split_whitespace().next()?.parse().ok();
    }
    None
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Build the image, start the relay in it in front of a menu-api on the host, and get a
/// MISS then a HIT, served by a process running as the image's non-root user.
#[test]
fn image_runs_the_relay() {
    if Command::new("buildah").arg("--version").output().is_err() {
        eprintln!("skipped: buildah is not installed (apt-get install -y buildah)");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let image = format!("herd-test-{}", std::process::id());
    let log = std::env::temp_dir().join(format!("{image}-build.log"));
    let mut built = Built {
        image: image.clone(),
        container: None,
    };

    let started = Instant::now();
    let out = std::fs::File::create(&log).unwrap();
    let mut build = Group::spawn(
        Command::new(root.join("scripts/image/build.sh"))
            .arg(&image)
            .stderr(out.try_clone().unwrap())
            .stdout(out),
    );
    let status = build.wait_for(BUILD_LIMIT);
    let build_took = started.elapsed();
    assert!(
        status.is_some_and(|s| s.success()),
        "image build {} after {build_took:?}; last lines of {}:\n{}",
        if status.is_some() {
            "failed"
        } else {
            "timed out"
        },
        log.display(),
        tail(&log, 30)
    );
    drop(build);
    let _ = std::fs::remove_file(&log);
    eprintln!("image build took {build_took:.1?}");

    let started = Instant::now();
    let mut menu = Group::spawn(
        Command::new(HERD)
            .args(["menu-api", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let menu_addr = listening_addr(menu.0.stdout.take().unwrap(), START_LIMIT)
        .expect("menu-api did not say where it listens");
    let menu_port = menu_addr.rsplit(':').next().unwrap();
    let out = buildah().args(["from", &image]).output().unwrap();
    assert!(out.status.success(), "buildah from: {out:?}");
    let container = String::from_utf8(out.stdout).unwrap().trim().to_string();
    built.container = Some(container.clone());
    let mut relay = Group::spawn(
        buildah()
            .args([
                "run",
                "--isolation",
                "chroot",
                "--network",
                "host",
                &container,
            ])
            .args([
                "--",
                "/herd",
                "relay",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
            ])
            .arg(format!("http://localhost:{menu_port}/api"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let addr = listening_addr(relay.0.stdout.take().unwrap(), START_LIMIT)
        .expect("the relay in the image did not say where it listens");
    let first = get(&addr, "/restaurant/");
    let second = get(&addr, "/restaurant/");
    let uid = herd_uid_in(relay.pgid());
    drop(relay);
    drop(menu);
    drop(built);
    eprintln!(
        "relay in the image: started and answered in {:.1?}",
        started.elapsed()
    );

    assert_eq!((first.0, first.1.as_str()), (200, "MISS"));
    assert!(first.2.contains("restaurants"), "{}", first.2);
    assert_eq!((second.0, second.1.as_str()), (200, "HIT"));
    assert_eq!(
        uid,
        Some(65532),
        "the relay should run as the image's non-root user"
    );
}
