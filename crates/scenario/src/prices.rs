//! Hourly prices of EC2 instance types, for `ecsim plan --objective cost`.
//!
//! The built-in table (`data/prices-us-east-1.json`) holds approximate on-demand list prices in
//! USD per hour (Linux, us-east-1) for every type of the [`crate::catalogue`]. They are not a
//! quote: `ecsim plan --prices FILE` overrides them with a JSON map of instance type to USD per
//! hour (types the file does not name keep the built-in price). Keys starting with `_` are
//! comments.

use serde_json::Value;
use std::collections::BTreeMap;

/// The built-in table, embedded at compile time.
pub const BUILT_IN: &str = include_str!("../data/prices-us-east-1.json");

/// USD per hour by instance type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prices {
    by_type: BTreeMap<String, f64>,
}

impl Prices {
    /// The built-in us-east-1 on-demand table.
    #[must_use]
    pub fn built_in() -> Prices {
        Prices::parse(BUILT_IN).unwrap_or_default()
    }

    /// Parses a JSON object of instance type to a non-negative number (USD per hour).
    pub fn parse(text: &str) -> Result<Prices, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(map) = value else {
            return Err("expected a JSON object of instance type to USD per hour".into());
        };
        let mut by_type = BTreeMap::new();
        for (name, v) in map.into_iter().filter(|(k, _)| !k.starts_with('_')) {
            match v.as_f64() {
                Some(p) if p.is_finite() && p >= 0.0 => {
                    by_type.insert(name, p);
                }
                _ => {
                    return Err(format!(
                        "`{name}`: expected a non-negative number, found {v}"
                    ));
                }
            }
        }
        Ok(Prices { by_type })
    }

    /// This table with every price of `other` put over it.
    #[must_use]
    pub fn overridden_by(mut self, other: Prices) -> Prices {
        self.by_type.extend(other.by_type);
        self
    }

    /// The hourly price of an instance type.
    #[must_use]
    pub fn get(&self, instance_type: &str) -> Option<f64> {
        self.by_type.get(instance_type).copied()
    }

    /// Every priced type, sorted by name.
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.by_type.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_some_prices_and_rejects_bad_values() {
        let file = Prices::parse(r#"{"m5.large": 1.5, "_note": "x"}"#).expect("parses");
        let merged = Prices::built_in().overridden_by(file);
        assert_eq!(merged.get("m5.large"), Some(1.5));
        assert_eq!(merged.get("m5.xlarge"), Prices::built_in().get("m5.xlarge"));
        assert!(Prices::parse(r#"{"m5.large": "cheap"}"#).is_err());
        assert!(Prices::parse("[1]").is_err());
    }
}
