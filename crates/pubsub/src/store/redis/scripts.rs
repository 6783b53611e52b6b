//! The four operations as Lua scripts. Redis runs a script atomically, so each operation
//! is one indivisible step however many nodes send them: no interleaving of subscribes,
//! publishes, polls and unsubscribes from any number of `herd pubsub` processes can lose or
//! duplicate a message. Scripts are sent by `EVALSHA` (the redis crate loads them again
//! after a Redis restart emptied its script cache).
//!
//! The data model is the memory store's (see `store::memory::topic`), in four keys per
//! topic (`keys.rs`): a `next` counter, a hash of bodies by seq, a hash of how many
//! subscribers have yet to read each seq, and a hash of each subscriber's cursor. Seqs are
//! written with `%d` so a large one never turns into `1e+15` (Lua 5.1 numbers are doubles,
//! exact up to 2^53 messages per topic).

use std::sync::LazyLock;

use redis::Script;

/// Shared helpers, prepended to every script.
const PRELUDE: &str = r#"
local function s(n) return string.format('%d', n) end
local function release(seq)
  if redis.call('HINCRBY', KEYS[4], s(seq), -1) <= 0 then
    redis.call('HDEL', KEYS[4], s(seq))
    redis.call('HDEL', KEYS[3], s(seq))
  end
end
"#;

/// ARGV: user. Returns 1. A current subscriber keeps its cursor (HSETNX).
const SUBSCRIBE: &str = r#"
local next = redis.call('GET', KEYS[2]) or '0'
redis.call('HSETNX', KEYS[1], ARGV[1], next)
return 1
"#;

/// ARGV: user. Returns 1, or 0 if not subscribed. Releases every unread message; the last
/// subscriber out deletes the topic, so no per-topic log outlives its readers.
const UNSUBSCRIBE: &str = r#"
local c = redis.call('HGET', KEYS[1], ARGV[1])
if not c then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
for seq = tonumber(c), n - 1 do release(seq) end
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) end
return 1
"#;

/// ARGV: body, topic name. Returns the number of subscribers (0: nothing stored). Announces
/// the topic on the wake channel only while some node long-polls it.
const PUBLISH: &str = r#"
local subs = redis.call('HLEN', KEYS[1])
if subs == 0 then return 0 end
local seq = redis.call('INCR', KEYS[2]) - 1
redis.call('HSET', KEYS[3], s(seq), ARGV[1])
redis.call('HSET', KEYS[4], s(seq), subs)
if redis.call('EXISTS', KEYS[5]) == 1 then
  redis.call('PUBLISH', 'herd:pubsub:wake', ARGV[2])
end
return subs
"#;

/// ARGV: user, long-poll marker TTL in ms ('0': not waiting). Returns -1 (not subscribed),
/// 0 (nothing pending; sets the marker when waiting), or {body}, consumed.
const POLL: &str = r#"
local c = redis.call('HGET', KEYS[1], ARGV[1])
if not c then return -1 end
c = tonumber(c)
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if c >= n then
  if ARGV[2] ~= '0' then redis.call('SET', KEYS[5], '1', 'PX', ARGV[2]) end
  return 0
end
local body = redis.call('HGET', KEYS[3], s(c))
if not body then return redis.error_reply('ERR herd pubsub: message ' .. s(c) .. ' missing') end
redis.call('HSET', KEYS[1], ARGV[1], s(c + 1))
release(c)
return {body}
"#;

/// Reads and unsubscribes free memory, so they must run even when Redis is over its
/// `maxmemory` (publishes and subscribes are refused then, and answered 503): otherwise a
/// full Redis could never be drained. Shebang flags need Redis 7.
const ALLOW_OOM: &str = "#!lua flags=allow-oom\n";

fn text(body: &str) -> String {
    let shebang = if body == POLL || body == UNSUBSCRIBE {
        ALLOW_OOM
    } else {
        ""
    };
    format!("{shebang}{PRELUDE}{body}")
}

fn script(body: &str) -> Script {
    Script::new(&text(body))
}

/// The subscribe script.
pub static SUBSCRIBE_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(SUBSCRIBE));
/// The unsubscribe script.
pub static UNSUBSCRIBE_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(UNSUBSCRIBE));
/// The publish script.
pub static PUBLISH_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(PUBLISH));
/// The poll script.
pub static POLL_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(POLL));

/// The full text of each script by name, for `herd pubsub --print-scripts`-style tooling
/// and the benchmark, which loads the very same scripts into `redis-benchmark`.
pub fn sources() -> [(&'static str, String); 4] {
    [
        ("subscribe", text(SUBSCRIBE)),
        ("unsubscribe", text(UNSUBSCRIBE)),
        ("publish", text(PUBLISH)),
        ("poll", text(POLL)),
    ]
}

#[cfg(test)]
mod tests {
    /// The wake channel named in the publish script is the one the listener subscribes to.
    #[test]
    fn wake_channel_matches() {
        assert!(super::PUBLISH.contains(super::super::keys::WAKE_CHANNEL));
    }
}
