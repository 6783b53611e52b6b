//! `herd dishes`: list the restaurants behind a relay, or one restaurant's dishes.
//!
//! Talks to the relay (`GET <relay>/restaurant/` and `GET <relay>/restaurant/<id>/`) and
//! turns every failure into one line that says what to do: the relay is down, the id is
//! unknown, or the relay answered something unexpected.

use std::time::Duration;

use serde::Deserialize;

/// The relay `herd dishes` talks to by default.
pub const DEFAULT_RELAY: &str = "http://127.0.0.1:8000";
/// Largest answer read from the relay.
const MAX_ANSWER: usize = 4 << 20;

/// A restaurant in the list.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Restaurant {
    /// The id to ask for its dishes.
    pub identifier: String,
    /// Display name.
    pub name: String,
    /// Campus.
    pub campus: String,
}

/// One restaurant's menu.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Menu {
    /// Display name.
    pub title: String,
    /// Campus.
    pub location: String,
    /// Dishes today.
    pub menu: Vec<Dish>,
}

/// One dish.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Dish {
    /// Its description.
    pub dish: String,
}

#[derive(Deserialize)]
struct List {
    restaurants: Vec<Restaurant>,
}

#[derive(Deserialize)]
struct One {
    restaurant: Menu,
}

/// Why `herd dishes` failed; each message is one line saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum DishesError {
    /// Nothing answers at the relay URL.
    #[error("cannot reach the relay at {0} (start one with `herd up` or `herd relay`, or pass --relay URL)")]
    Down(String),
    /// The relay did not answer in time.
    #[error("the relay at {0} did not answer within {1:?}")]
    Timeout(String, Duration),
    /// No restaurant has that id.
    #[error("no restaurant with id {0:?} (list them with `herd dishes`)")]
    UnknownId(String),
    /// The id has characters no id has.
    #[error("{0:?} is not a restaurant id (ids are letters, digits, '-', '_' and '.')")]
    BadId(String),
    /// The relay URL is not an http(s) URL.
    #[error("--relay must be an http:// or https:// URL, got {0:?}")]
    BadUrl(String),
    /// The relay answered with an error status.
    #[error("the relay answered HTTP {status}: {detail}")]
    Status {
        /// Status code.
        status: u16,
        /// The error text from its JSON body, or the start of the body.
        detail: String,
    },
    /// The answer was not the expected JSON.
    #[error("unexpected answer from the relay: {0}")]
    Invalid(String),
}

/// A client of one relay.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    timeout: Duration,
}

impl Client {
    /// A client for the relay at `base` (e.g. `http://127.0.0.1:8000`).
    ///
    /// # Errors
    /// [`DishesError::BadUrl`] for a URL that is not http(s).
    pub fn new(base: &str, timeout: Duration) -> Result<Client, DishesError> {
        let base = base.trim_end_matches('/').to_string();
        match reqwest::Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return Err(DishesError::BadUrl(base)),
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|_| DishesError::BadUrl(base.clone()))?;
        Ok(Client {
            base,
            http,
            timeout,
        })
    }

    /// The restaurants, as the raw JSON text and parsed.
    ///
    /// # Errors
    /// [`DishesError`] saying what went wrong.
    pub async fn restaurants(&self) -> Result<(String, Vec<Restaurant>), DishesError> {
        let text = self.get("/restaurant/", None).await?;
        let list: List =
            serde_json::from_str(&text).map_err(|e| DishesError::Invalid(e.to_string()))?;
        Ok((text, list.restaurants))
    }

    /// One restaurant's menu, as the raw JSON text and parsed.
    ///
    /// # Errors
    /// [`DishesError::UnknownId`] for an id the API does not know, and the others.
    pub async fn menu(&self, id: &str) -> Result<(String, Menu), DishesError> {
        let ok = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && id != "."
            && id != "..";
        if !ok {
            return Err(DishesError::BadId(id.to_string()));
        }
        let text = self.get(&format!("/restaurant/{id}/"), Some(id)).await?;
        let one: One =
            serde_json::from_str(&text).map_err(|e| DishesError::Invalid(e.to_string()))?;
        Ok((text, one.restaurant))
    }

    async fn get(&self, path: &str, id: Option<&str>) -> Result<String, DishesError> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        let mut resp = resp;
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(&e))? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(DishesError::Invalid(format!(
                    "answer larger than {MAX_ANSWER} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&body).into_owned();
        match (status, id) {
            (200, _) => Ok(text),
            (404, Some(id)) => Err(DishesError::UnknownId(id.to_string())),
            _ => Err(DishesError::Status {
                status,
                detail: error_detail(&text),
            }),
        }
    }

    fn transport(&self, e: &reqwest::Error) -> DishesError {
        if e.is_timeout() {
            DishesError::Timeout(self.base.clone(), self.timeout)
        } else {
            DishesError::Down(self.base.clone())
        }
    }
}

/// `error: detail` from a JSON error body, else the body's first line (bounded).
fn error_detail(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let e = v["error"].as_str().unwrap_or("error");
        return match v["detail"].as_str() {
            Some(d) => format!("{e}: {d}"),
            None => e.to_string(),
        };
    }
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// The restaurants as an aligned table: identifier, name, campus.
pub fn restaurants_table(list: &[Restaurant]) -> String {
    let rows: Vec<[&str; 3]> = list
        .iter()
        .map(|r| [r.identifier.as_str(), r.name.as_str(), r.campus.as_str()])
        .collect();
    table(["identifier", "name", "campus"], &rows)
}

/// One restaurant's dishes: a title line, then one dish per line.
pub fn menu_text(m: &Menu) -> String {
    let mut out = format!("{} ({})\n", m.title, m.location);
    if m.menu.is_empty() {
        out.push_str("  no dishes listed today\n");
    }
    for d in &m.menu {
        out.push_str("  - ");
        out.push_str(&d.dish);
        out.push('\n');
    }
    out
}

fn table(head: [&str; 3], rows: &[[&str; 3]]) -> String {
    let w = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (w(0), w(1));
    let mut out = String::new();
    for r in std::iter::once(&head).chain(rows) {
        let pad =
            |s: &str, n: usize| format!("{s}{}", " ".repeat(n.saturating_sub(s.chars().count())));
        out.push_str(format!("{}  {}  {}", pad(r[0], w0), pad(r[1], w1), r[2]).trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns line up, non-ASCII names included.
    #[test]
    fn table_aligns() {
        let t = restaurants_table(&[
            Restaurant {
                identifier: "a".into(),
                name: "Ångström Grill".into(),
                campus: "Uppsala".into(),
            },
            Restaurant {
                identifier: "bistro-nobel".into(),
                name: "B".into(),
                campus: "Solna".into(),
            },
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "identifier    name            campus");
        assert_eq!(lines[1], "a             Ångström Grill  Uppsala");
        assert_eq!(lines[2], "bistro-nobel  B               Solna");
    }

    /// Ids that could leave the path are refused before any request.
    #[tokio::test]
    async fn bad_ids() {
        let c = Client::new("http://127.0.0.1:9", Duration::from_secs(1)).unwrap();
        for id in ["", "..", "a/b", "a?b", "a b"] {
            assert!(
                matches!(c.menu(id).await, Err(DishesError::BadId(_))),
                "{id}"
            );
        }
        assert!(Client::new("ftp://x", Duration::from_secs(1)).is_err());
    }

    /// Error bodies become one readable line.
    #[test]
    fn details() {
        assert_eq!(
            error_detail(r#"{"error":"upstream unavailable","detail":"cannot connect"}"#),
            "upstream unavailable: cannot connect"
        );
        assert_eq!(error_detail("oops\nmore"), "oops");
    }
}
