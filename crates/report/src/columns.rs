//! Samples by service, for the tables and charts that give each service its own column: the
//! service names of all the samples, sorted, and each sample's services in that order.
//!
//! A sample lists its services in its own order, and not every sample lists every service (one
//! created midway). A row is built with one name lookup per service of the sample, so a run with
//! many services and samples costs services × samples × log(services), not their square. When
//! two services share a name (in two clusters), the column holds the sample's first one.

use ecsim_scenario::metrics::{Sample, ServiceSample};
use std::collections::BTreeMap;

/// The service columns of a run's samples.
pub struct ServiceColumns<'a> {
    names: Vec<&'a str>,
    column_of: BTreeMap<&'a str, usize>,
}

impl<'a> ServiceColumns<'a> {
    /// Every service name any sample lists, in sorted order.
    pub fn of(samples: &'a [Sample]) -> Self {
        let mut column_of: BTreeMap<&'a str, usize> = samples
            .iter()
            .flat_map(|s| s.services.iter().map(|v| (v.name.as_str(), 0)))
            .collect();
        for (column, at) in column_of.values_mut().enumerate() {
            *at = column;
        }
        let names = column_of.keys().copied().collect();
        ServiceColumns { names, column_of }
    }

    /// The names, one per column.
    pub fn names(&self) -> &[&'a str] {
        &self.names
    }

    /// The sample's services, one per column (`None` where the sample does not list it).
    pub fn row(&self, sample: &'a Sample) -> Vec<Option<&'a ServiceSample>> {
        let mut row = vec![None; self.names.len()];
        for service in &sample.services {
            let slot = &mut row[self.column_of[service.name.as_str()]];
            slot.get_or_insert(service);
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, running: u32) -> ServiceSample {
        ServiceSample {
            name: name.into(),
            running,
            ..ServiceSample::default()
        }
    }

    fn sample(services: Vec<ServiceSample>) -> Sample {
        Sample {
            services,
            ..Sample::default()
        }
    }

    #[test]
    fn rows_follow_the_sorted_names_whatever_each_sample_lists() {
        let samples = [
            sample(vec![service("web", 1), service("api", 2)]),
            sample(vec![
                service("batch", 3),
                service("web", 4),
                service("web", 9),
            ]),
        ];
        let columns = ServiceColumns::of(&samples);
        assert_eq!(columns.names(), ["api", "batch", "web"]);
        let running = |s: &Sample| -> Vec<Option<u32>> {
            columns
                .row(s)
                .iter()
                .map(|v| v.map(|v| v.running))
                .collect()
        };
        assert_eq!(running(&samples[0]), [Some(2), None, Some(1)]);
        assert_eq!(running(&samples[1]), [None, Some(3), Some(4)]);
    }
}
