//! Placement constraints and strategies of RunTask (and, later, CreateService/UpdateService):
//! validated with ECS's limits and exceptions (§1.4, §7.2) and turned into the model's types.

use crate::ApiError;
use crate::requests::{PlacementConstraintShape, PlacementStrategyShape};
use ecsim_core::cql::{self, Expr};
use ecsim_core::placement::{BinpackField, SpreadField, Strategy};

/// "You can specify up to 10 constraints for each task (including constraints in the task
/// definition and those specified at runtime)."
pub const MAX_CONSTRAINTS: usize = 10;
/// "a maximum of 5 strategy rules for each task" (the API Reference; see the README's decisions).
pub const MAX_STRATEGIES: usize = 5;

/// The request's constraints: its memberOf expressions and whether distinctInstance is asked.
/// `from_task_def` counts toward the limit of 10.
pub fn constraints(
    list: &[PlacementConstraintShape],
    from_task_def: usize,
) -> Result<(Vec<Expr>, bool), ApiError> {
    if list.len() + from_task_def > MAX_CONSTRAINTS {
        return Err(ApiError::invalid(format!(
            "Too many placement constraints: {} in the request and {from_task_def} in the task definition; at most {MAX_CONSTRAINTS} in all.",
            list.len()
        )));
    }
    let (mut member_of, mut distinct) = (Vec::new(), false);
    for (i, c) in list.iter().enumerate() {
        match (c.kind.as_deref(), c.expression.as_deref()) {
            (Some("distinctInstance"), None) => distinct = true,
            (Some("distinctInstance"), Some(_)) => {
                return Err(ApiError::invalid(
                    "distinctInstance expression should not be specified.",
                ));
            }
            (Some("memberOf"), Some(expr)) => member_of.push(cql::parse(expr).map_err(|e| {
                ApiError::invalid(format!("placementConstraints[{i}].expression {e}"))
            })?),
            (Some("memberOf"), None) => {
                return Err(ApiError::invalid(format!(
                    "placementConstraints[{i}]: a memberOf constraint needs an expression."
                )));
            }
            (other, _) => {
                return Err(ApiError::invalid(format!(
                    "placementConstraints[{i}].type must be memberOf or distinctInstance, got {}.",
                    other.unwrap_or("nothing")
                )));
            }
        }
    }
    Ok((member_of, distinct))
}

/// The request's strategies, in order.
pub fn strategies(list: &[PlacementStrategyShape]) -> Result<Vec<Strategy>, ApiError> {
    if list.len() > MAX_STRATEGIES {
        return Err(ApiError::invalid(format!(
            "Too many placement strategies: {}; at most {MAX_STRATEGIES}.",
            list.len()
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, s)| strategy(i, s))
        .collect()
}

fn strategy(i: usize, s: &PlacementStrategyShape) -> Result<Strategy, ApiError> {
    let field = s.field.as_deref();
    let bad_field = |kind: &str, allowed: &str| {
        ApiError::invalid(format!(
            "placementStrategy[{i}]: {kind} needs field {allowed}, got {}.",
            field.map_or("nothing".into(), |f| format!("'{f}'"))
        ))
    };
    match s.kind.as_deref() {
        Some("random") => Ok(Strategy::Random),
        Some("binpack") => match field.map(str::to_ascii_lowercase).as_deref() {
            Some("cpu") => Ok(Strategy::Binpack(BinpackField::Cpu)),
            Some("memory") => Ok(Strategy::Binpack(BinpackField::Memory)),
            _ => Err(bad_field("binpack", "cpu or memory")),
        },
        Some("spread") => match field {
            Some("instanceId" | "host") => Ok(Strategy::Spread(SpreadField::Instance)),
            Some(f) if f.starts_with("attribute:") && f.len() > "attribute:".len() => Ok(
                Strategy::Spread(SpreadField::Attribute(f["attribute:".len()..].to_string())),
            ),
            _ => Err(bad_field("spread", "instanceId, host or attribute:NAME")),
        },
        other => Err(ApiError::invalid(format!(
            "placementStrategy[{i}].type must be random, spread or binpack, got {}.",
            other.unwrap_or("nothing")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(kind: &str, expr: Option<&str>) -> PlacementConstraintShape {
        PlacementConstraintShape {
            kind: Some(kind.into()),
            expression: expr.map(Into::into),
        }
    }

    fn s(kind: &str, field: Option<&str>) -> PlacementStrategyShape {
        PlacementStrategyShape {
            kind: Some(kind.into()),
            field: field.map(Into::into),
        }
    }

    #[test]
    fn constraint_rules() {
        let (m, d) = constraints(
            &[
                c("memberOf", Some("attribute:a == b")),
                c("distinctInstance", None),
            ],
            0,
        )
        .unwrap();
        assert_eq!((m.len(), d), (1, true));
        let e = constraints(&[c("distinctInstance", Some("x == y"))], 0).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (
                "InvalidParameterException",
                "distinctInstance expression should not be specified."
            )
        );
        let e = constraints(&[c("memberOf", Some("attribute:a =="))], 0).unwrap_err();
        assert!(e.message.contains("at character"), "{}", e.message);
        let many: Vec<_> = (0..6).map(|_| c("distinctInstance", None)).collect();
        assert!(constraints(&many, 4).is_ok());
        assert_eq!(
            constraints(&many, 5).unwrap_err().code,
            "InvalidParameterException"
        );
    }

    #[test]
    fn strategy_rules() {
        let got = strategies(&[
            s("spread", Some("attribute:ecs.availability-zone")),
            s("binpack", Some("memory")),
            s("spread", Some("host")),
        ])
        .unwrap();
        assert_eq!(
            got,
            vec![
                Strategy::Spread(SpreadField::Attribute("ecs.availability-zone".into())),
                Strategy::Binpack(BinpackField::Memory),
                Strategy::Spread(SpreadField::Instance),
            ]
        );
        assert!(strategies(&[s("binpack", Some("disk"))]).is_err());
        assert!(strategies(&[s("spread", None)]).is_err());
        assert!(strategies(&[s("first-fit", None)]).is_err());
        let six: Vec<_> = (0..6).map(|_| s("random", None)).collect();
        assert_eq!(
            strategies(&six).unwrap_err().code,
            "InvalidParameterException"
        );
        assert_eq!(strategies(&six[..5]).unwrap().len(), 5);
    }
}
