//! Interoperability: a Python asyncio client that half-closes gets correct answers from
//! every server of the classic herd.

mod common;

use common::Herd;

/// Runs tests/asyncio_client.py against all five servers.
#[tokio::test]
async fn asyncio_half_close_client() {
    let herd = Herd::classic().await;
    let ports: Vec<String> = ["Goloman", "Hands", "Holiday", "Welsh", "Wilkes"]
        .iter()
        .map(|n| herd.addr(n).port().to_string())
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/asyncio_client.py");
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .args(&ports)
        .output()
        .await
        .expect("python3 is needed for this test (CI installs it)");
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    herd.shutdown().await;
}
