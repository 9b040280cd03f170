//! Searching the API: BM25 over each endpoint's path, handler name, method, description and
//! parameter names.
//!
//! Words are lower-cased and lightly stemmed (a plural `s` is dropped), and a few domain
//! synonyms bridge the words models use and the words PVE uses (`vm` -> `qemu`, `container`
//! -> `lxc`, `backup` -> `vzdump`). Method verbs count too: "create" leans to POST, "remove"
//! to DELETE.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;

use super::ENDPOINTS;
use super::types::{Endpoint, Method};

/// One search hit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// HTTP method.
    pub method: &'static str,
    /// Path template.
    pub path: &'static str,
    /// The first sentence of the description.
    pub description: String,
    /// Relevance, higher is better.
    #[serde(skip)]
    pub score: f64,
}

/// Field weights: a word in the path says more than one in the description.
const W_PATH: f64 = 3.0;
const W_NAME: f64 = 1.5;
const W_METHOD: f64 = 1.0;
const W_DESCRIPTION: f64 = 1.0;
const W_PARAMS: f64 = 0.7;
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Query words and the index words they also stand for (weight of the expansion).
const SYNONYMS: [(&str, &[&str]); 14] = [
    ("vm", &["qemu"]),
    ("vms", &["qemu"]),
    ("virtual", &["qemu"]),
    ("machine", &["qemu"]),
    ("guest", &["qemu", "lxc"]),
    ("container", &["lxc"]),
    ("ct", &["lxc"]),
    ("backup", &["vzdump"]),
    ("disk", &["storage", "volume"]),
    ("iso", &["content"]),
    ("ip", &["network", "address"]),
    ("user", &["userid"]),
    ("permission", &["acl"]),
    ("log", &["syslog", "journal"]),
];

/// Verbs that describe methods.
const METHOD_WORDS: [(Method, &[&str]); 4] = [
    (Method::Get, &["get", "list", "read", "show", "status", "index", "query"]),
    (Method::Post, &["post", "create", "add", "start", "stop", "run", "execute", "new", "action"]),
    (Method::Put, &["put", "update", "set", "modify", "change", "edit"]),
    (Method::Delete, &["delete", "remove", "destroy", "drop", "purge"]),
];

const STOP_WORDS: [&str; 16] =
    ["a", "an", "the", "of", "to", "and", "or", "for", "in", "on", "is", "it", "this", "with", "be", "by"];

struct Doc {
    /// Weighted term frequency per word.
    terms: HashMap<String, f64>,
    /// Weighted length.
    len: f64,
}

struct Index {
    docs: Vec<Doc>,
    /// Number of documents containing each word.
    df: HashMap<String, usize>,
    avg_len: f64,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| Index::build(&ENDPOINTS));

/// Splits text into lower-case, stemmed words.
pub fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| stem(&w.to_lowercase()))
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

fn stem(word: &str) -> String {
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

impl Index {
    fn build(endpoints: &'static [Endpoint]) -> Index {
        let mut docs = Vec::with_capacity(endpoints.len());
        let mut df: HashMap<String, usize> = HashMap::new();
        for ep in endpoints {
            let mut terms: HashMap<String, f64> = HashMap::new();
            let mut len = 0.0;
            let mut add = |text: &str, w: f64| {
                for t in tokenize(text) {
                    *terms.entry(t).or_default() += w;
                    len += w;
                }
            };
            let literal_path: String = ep.path.split('/').filter(|s| !s.starts_with('{')).collect::<Vec<_>>().join(" ");
            add(&literal_path, W_PATH);
            add(ep.name, W_NAME);
            let verbs =
                METHOD_WORDS.iter().find(|(m, _)| *m == ep.method).map(|(_, w)| w.join(" ")).unwrap_or_default();
            add(&verbs, W_METHOD);
            add(ep.description, W_DESCRIPTION);
            let params: Vec<&str> = ep.params.props.iter().map(|p| p.name).collect();
            add(&params.join(" "), W_PARAMS);
            for t in terms.keys() {
                *df.entry(t.clone()).or_default() += 1;
            }
            docs.push(Doc { terms, len });
        }
        let avg_len = docs.iter().map(|d| d.len).sum::<f64>() / docs.len().max(1) as f64;
        Index { docs, df, avg_len }
    }

    fn idf(&self, term: &str) -> f64 {
        let n = self.docs.len() as f64;
        let df = self.df.get(term).copied().unwrap_or(0) as f64;
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
    }

    fn score(&self, doc: &Doc, query: &[(String, f64)]) -> f64 {
        query
            .iter()
            .map(|(term, weight)| {
                let tf = doc.terms.get(term).copied().unwrap_or(0.0);
                if tf == 0.0 {
                    return 0.0;
                }
                let norm = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * doc.len / self.avg_len));
                weight * self.idf(term) * norm
            })
            .sum()
    }
}

/// Query words with their weights: the words themselves, plus synonyms at half weight.
fn expand(query: &str) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    let mut push = |t: String, w: f64| match out.iter_mut().find(|(x, _)| *x == t) {
        Some(e) => e.1 = e.1.max(w),
        None => out.push((t, w)),
    };
    for word in tokenize(query) {
        for (from, to) in SYNONYMS {
            if stem(from) == word {
                for t in to.iter() {
                    push(stem(t), 0.8);
                }
            }
        }
        push(word, 1.0);
    }
    out
}

/// The endpoints best matching `query`, best first (at most `limit`, at most 50).
pub fn search(query: &str, limit: usize) -> Vec<Hit> {
    let index = &*INDEX;
    let terms = expand(query);
    // A query that is itself a path ("/nodes/{node}/qemu") also matches by path prefix.
    let path_query = query.trim().starts_with('/').then(|| query.trim().trim_end_matches('/').to_owned());
    let mut hits: Vec<Hit> = ENDPOINTS
        .iter()
        .zip(&index.docs)
        .filter_map(|(ep, doc)| {
            let mut score = index.score(doc, &terms);
            if let Some(p) = &path_query {
                if ep.path == p {
                    score += 100.0;
                } else if ep.path.starts_with(p.as_str()) {
                    score += 10.0;
                }
            }
            (score > 0.0).then(|| Hit {
                method: ep.method.as_str(),
                path: ep.path,
                description: first_sentence(ep.description),
                score,
            })
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score.total_cmp(&a.score).then_with(|| a.path.cmp(b.path)).then_with(|| a.method.cmp(b.method))
    });
    hits.truncate(limit.clamp(1, 50));
    hits
}

/// The first sentence (or line) of a description, at most 200 characters.
pub fn first_sentence(description: &str) -> String {
    let text = description.trim();
    let end = text.find(". ").map(|i| i + 1).or_else(|| text.find('\n')).unwrap_or(text.len());
    let s: String = text[..end].chars().take(200).collect();
    s.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(query: &str, n: usize) -> Vec<String> {
        search(query, n).into_iter().map(|h| format!("{} {}", h.method, h.path)).collect()
    }

    #[test]
    fn finds_what_a_model_would_ask_for() {
        let cases = [
            ("start vm", "POST /nodes/{node}/qemu/{vmid}/status/start"),
            ("start container", "POST /nodes/{node}/lxc/{vmid}/status/start"),
            ("create snapshot of a vm", "POST /nodes/{node}/qemu/{vmid}/snapshot"),
            ("vm config", "GET /nodes/{node}/qemu/{vmid}/config"),
            ("cluster resources", "GET /cluster/resources"),
            ("list storage content", "GET /nodes/{node}/storage/{storage}/content"),
            ("task status", "GET /nodes/{node}/tasks/{upid}/status"),
            ("delete vm", "DELETE /nodes/{node}/qemu/{vmid}"),
            ("migrate container", "POST /nodes/{node}/lxc/{vmid}/migrate"),
        ];
        for (query, expected) in cases {
            let hits = top(query, 5);
            assert!(hits.contains(&expected.to_owned()), "{query:?}: {hits:#?}");
        }
    }

    #[test]
    fn exact_paths_come_first_and_limits_hold() {
        assert_eq!(top("/cluster/resources", 1), ["GET /cluster/resources"]);
        assert_eq!(search("qemu", 3).len(), 3);
        assert_eq!(search("qemu", 500).len(), 50);
        assert!(search("", 10).is_empty());
        assert!(search("zzqqxx", 10).is_empty());
    }

    #[test]
    fn tokens_and_sentences() {
        assert_eq!(tokenize("List the Snapshots of /nodes/{node}"), ["list", "snapshot", "node", "node"]);
        assert_eq!(first_sentence("Start virtual machine. More text."), "Start virtual machine.");
        assert_eq!(first_sentence("One line\nsecond"), "One line");
    }
}
