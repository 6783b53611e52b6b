//! Print each Redis script's name and SHA1 (what `EVALSHA` names it), or with `--source
//! NAME` its Lua text; bench/pubsub.py uses it to run the very same scripts in
//! `redis-benchmark`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    use pubsub::store::redis::scripts::*;
    let scripts = [
        ("subscribe", &*SUBSCRIBE_SCRIPT),
        ("unsubscribe", &*UNSUBSCRIBE_SCRIPT),
        ("publish", &*PUBLISH_SCRIPT),
        ("claim", &*CLAIM_SCRIPT),
        ("confirm", &*CONFIRM_SCRIPT),
        ("release", &*RELEASE_SCRIPT),
    ];
    match args.as_slice() {
        [flag, name] if flag == "--source" => {
            for (n, text) in sources() {
                if n == name.as_str() {
                    print!("{text}");
                }
            }
        }
        _ => {
            for (name, s) in scripts {
                println!("{name} {}", s.get_hash());
            }
        }
    }
}
