//! `maxResults`/`nextToken` pagination, with ECS's per-operation default page sizes.
//!
//! A token is the offset of the next item, written `ecsim:N`; any other token is rejected with
//! InvalidParameterException, as ECS rejects a token it did not issue.

use crate::ApiError;
use serde_json::{Map, Value};

/// Validates `maxResults` (1..=limit) and `nextToken`, returning (offset, page size).
pub fn window(
    max_results: Option<i32>,
    next_token: Option<&str>,
    default_size: usize,
    limit: i32,
) -> Result<(usize, usize), ApiError> {
    let size = match max_results {
        None => default_size,
        Some(n) if (1..=limit).contains(&n) => n as usize,
        Some(n) => {
            return Err(ApiError::invalid(format!(
                "maxResults must be between 1 and {limit}, got {n}."
            )));
        }
    };
    let offset = match next_token {
        None => 0,
        Some(t) => t
            .strip_prefix("ecsim:")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ApiError::invalid("Invalid token"))?,
    };
    Ok((offset, size))
}

/// One page of `items` under `key`, plus `nextToken` when more remain.
pub fn page(key: &str, items: Vec<Value>, offset: usize, size: usize) -> Value {
    let total = items.len();
    let chunk: Vec<Value> = items.into_iter().skip(offset).take(size).collect();
    let mut out = Map::new();
    out.insert(key.to_string(), Value::Array(chunk));
    if offset + size < total {
        out.insert(
            "nextToken".into(),
            Value::String(format!("ecsim:{}", offset + size)),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_and_tokens() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let (o, s) = window(Some(2), None, 100, 100).unwrap();
        let p = page("x", items.clone(), o, s);
        assert_eq!(p, json!({"x": [0, 1], "nextToken": "ecsim:2"}));
        let (o, s) = window(Some(2), Some("ecsim:4"), 100, 100).unwrap();
        assert_eq!(page("x", items, o, s), json!({"x": [4]}));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            window(Some(0), None, 10, 100).unwrap_err().code,
            "InvalidParameterException"
        );
        assert!(window(Some(101), None, 10, 100).is_err());
        assert!(window(None, Some("garbage"), 10, 100).is_err());
        assert_eq!(window(None, None, 10, 100).unwrap(), (0, 10));
    }
}
