//! The operations as Lua scripts. Redis runs a script atomically, so each operation is
//! one indivisible step however many nodes send them: no interleaving of subscribes,
//! publishes, claims, confirms and unsubscribes from any number of `herd pubsub`
//! processes can lose a message or deliver one out of order. Scripts are sent by
//! `EVALSHA` (the redis crate loads them again after a Redis restart emptied its script
//! cache).
//!
//! The data model is the memory store's (see `store::memory::topic`), in six keys per
//! topic (`keys.rs`): a `next` counter, a hash of bodies by seq, a hash of how many
//! subscribers have yet to read each seq, a hash of each subscriber's cursor, the
//! long-poll marker, and a hash of claims in flight. Seqs are written with `%d` so a large
//! one never turns into `1e+15` (Lua 5.1 numbers are doubles, exact up to 2^53).
//!
//! A read is a claim and a confirm. The claim leaves the cursor where it is and records
//! `seq deadline token` for the user (deadline in Redis's own clock, `TIME`, so nodes'
//! clocks never matter); the confirm, sent once the reply is written, checks the token,
//! advances the cursor and frees the message. While a claim holds, later reads of the same
//! user get "in flight" rather than the message after it, so order holds; once its
//! deadline passes, the next claim takes the same message again (redelivery).

use std::sync::LazyLock;

use redis::Script;

/// Shared helpers, prepended to every script.
const PRELUDE: &str = r#"
local function s(n) return string.format('%d', n) end
local function unref(seq)
  if redis.call('HINCRBY', KEYS[4], s(seq), -1) <= 0 then
    redis.call('HDEL', KEYS[4], s(seq))
    redis.call('HDEL', KEYS[3], s(seq))
  end
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function mark(ttl)
  if ttl ~= '0' and redis.call('PTTL', KEYS[5]) < tonumber(ttl) then
    redis.call('SET', KEYS[5], '1', 'PX', ttl)
  end
end
local function wake(topic)
  if redis.call('EXISTS', KEYS[5]) == 1 then
    redis.call('PUBLISH', 'herd:pubsub:wake', topic)
  end
end
"#;

/// ARGV: user. Returns 1. A current subscriber keeps its cursor (HSETNX).
const SUBSCRIBE: &str = r#"
local next = redis.call('GET', KEYS[2]) or '0'
redis.call('HSETNX', KEYS[1], ARGV[1], next)
return 1
"#;

/// ARGV: user. Returns 1, or 0 if not subscribed. Drops the user's claim and releases
/// every unread message; the last subscriber out deletes the topic, so no per-topic log
/// outlives its readers.
const UNSUBSCRIBE: &str = r#"
local c = redis.call('HGET', KEYS[1], ARGV[1])
if not c then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
for seq = tonumber(c), n - 1 do unref(seq) end
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[6])
end
return 1
"#;

/// ARGV: body, topic name. Returns the number of subscribers (0: nothing stored). Announces
/// the topic on the wake channel only while some node waits on it.
const PUBLISH: &str = r#"
local subs = redis.call('HLEN', KEYS[1])
if subs == 0 then return 0 end
local seq = redis.call('INCR', KEYS[2]) - 1
redis.call('HSET', KEYS[3], s(seq), ARGV[1])
redis.call('HSET', KEYS[4], s(seq), subs)
wake(ARGV[2])
return subs
"#;

/// ARGV: user, token, lease ms, marker TTL ms if the queue is empty ('0': not waiting),
/// marker TTL ms if the next message is in flight ('0': not waiting). Returns -1 (not
/// subscribed), 0 (nothing pending), {ms left} (the next message is claimed by another
/// read whose lease has not ended), or {body, 1 if an earlier claim lapsed else 0}, now
/// claimed under the token until now + lease.
const CLAIM: &str = r#"
local c = redis.call('HGET', KEYS[1], ARGV[1])
if not c then return -1 end
c = tonumber(c)
local now = now_ms()
local again = 0
local held = redis.call('HGET', KEYS[6], ARGV[1])
if held then
  local seq, deadline = string.match(held, '^(%d+) (%d+) ')
  if not seq or tonumber(seq) ~= c then
    return redis.error_reply('ERR herd pubsub: claim ' .. held .. ' is not at cursor ' .. s(c))
  end
  local left = tonumber(deadline) - now
  if left > 0 then
    mark(ARGV[5])
    return {left}
  end
  again = 1
end
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if c >= n then
  mark(ARGV[4])
  return 0
end
local body = redis.call('HGET', KEYS[3], s(c))
if not body then return redis.error_reply('ERR herd pubsub: message ' .. s(c) .. ' missing') end
redis.call('HSET', KEYS[6], ARGV[1], s(c) .. ' ' .. s(now + tonumber(ARGV[3])) .. ' ' .. ARGV[2])
return {body, again}
"#;

/// ARGV: user, token, topic name. Returns 1 (the claimed message is delivered: the cursor
/// moves past it and it is freed once nobody else has to read it), or 0 if the token no
/// longer holds the claim (it lapsed and another read claimed the message, or the user
/// unsubscribed). A lapsed claim nobody took over is still confirmed: the reply did go
/// out. Wakes waiting readers, who may now read on.
const CONFIRM: &str = r#"
local held = redis.call('HGET', KEYS[6], ARGV[1])
if not held then return 0 end
local seq, token = string.match(held, '^(%d+) %d+ (.*)$')
if token ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[6], ARGV[1])
seq = tonumber(seq)
redis.call('HSET', KEYS[1], ARGV[1], s(seq + 1))
unref(seq)
wake(ARGV[3])
return 1
"#;

/// ARGV: user, token, topic name. Returns 1 (the claim is dropped: the message is the
/// user's next again, for the very next read), or 0 if the token no longer holds it.
const RELEASE: &str = r#"
local held = redis.call('HGET', KEYS[6], ARGV[1])
if not held or string.match(held, '^%d+ %d+ (.*)$') ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[6], ARGV[1])
wake(ARGV[3])
return 1
"#;

/// Reads, confirms, releases and unsubscribes free memory (a claim adds one small hash
/// field that its confirm removes), so they must run even when Redis is over its
/// `maxmemory` (publishes and subscribes are refused then, and answered 503): otherwise a
/// full Redis could never be drained. Shebang flags need Redis 7.
const ALLOW_OOM: &str = "#!lua flags=allow-oom\n";

fn text(body: &str) -> String {
    let shebang = if [CLAIM, CONFIRM, RELEASE, UNSUBSCRIBE].contains(&body) {
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
/// The claim script (the first half of a read).
pub static CLAIM_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(CLAIM));
/// The confirm script (the second half of a read, once the reply is written).
pub static CONFIRM_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(CONFIRM));
/// The release script (a reply that broke off: the message is next again).
pub static RELEASE_SCRIPT: LazyLock<Script> = LazyLock::new(|| script(RELEASE));

/// The full text of each script by name, for tooling and the benchmark, which loads the
/// very same scripts into `redis-benchmark`.
pub fn sources() -> [(&'static str, String); 6] {
    [
        ("subscribe", text(SUBSCRIBE)),
        ("unsubscribe", text(UNSUBSCRIBE)),
        ("publish", text(PUBLISH)),
        ("claim", text(CLAIM)),
        ("confirm", text(CONFIRM)),
        ("release", text(RELEASE)),
    ]
}

#[cfg(test)]
mod tests {
    /// The wake channel named in the publish script is the one the listener subscribes to.
    #[test]
    fn wake_channel_matches() {
        assert!(super::PRELUDE.contains(super::super::keys::WAKE_CHANNEL));
    }
}
