//! ARNs in the long format (the default since 2021), and parsing of the references requests take
//! (a name, an id or an ARN).

/// Builds ARNs for one region and account.
#[derive(Clone, Copy, Debug)]
pub struct Arns<'a> {
    region: &'a str,
    account: &'a str,
}

impl<'a> Arns<'a> {
    pub fn new(region: &'a str, account: &'a str) -> Arns<'a> {
        Arns { region, account }
    }

    fn prefix(&self) -> String {
        format!("arn:aws:ecs:{}:{}", self.region, self.account)
    }

    pub fn cluster(&self, name: &str) -> String {
        format!("{}:cluster/{name}", self.prefix())
    }

    pub fn container_instance(&self, cluster: &str, id: &str) -> String {
        format!("{}:container-instance/{cluster}/{id}", self.prefix())
    }

    pub fn task(&self, cluster: &str, id: &str) -> String {
        format!("{}:task/{cluster}/{id}", self.prefix())
    }

    pub fn container(&self, cluster: &str, task_id: &str, container_id: &str) -> String {
        format!(
            "{}:container/{cluster}/{task_id}/{container_id}",
            self.prefix()
        )
    }

    pub fn service(&self, cluster: &str, name: &str) -> String {
        format!("{}:service/{cluster}/{name}", self.prefix())
    }

    pub fn task_definition(&self, family: &str, revision: u32) -> String {
        format!("{}:task-definition/{family}:{revision}", self.prefix())
    }
}

/// The resource part of an ECS ARN (`cluster/prod`), or `None` if `s` is not an ECS ARN.
fn resource_of(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service) = (parts.next()?, parts.next()?);
    let (_region, _account, resource) = (parts.next()?, parts.next()?, parts.next()?);
    (service == "ecs").then_some(resource)
}

/// A cluster reference (name or ARN) to its name.
pub fn cluster_name(reference: &str) -> &str {
    resource_of(reference)
        .and_then(|r| r.strip_prefix("cluster/"))
        .unwrap_or(reference)
}

/// A container-instance or task reference (id or long/short ARN) to (cluster name if given, id).
pub fn scoped_id<'r>(reference: &'r str, kind: &str) -> (Option<&'r str>, &'r str) {
    let Some(resource) = resource_of(reference) else {
        return (None, reference);
    };
    let Some(path) = resource
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return (None, reference);
    };
    match path.rsplit_once('/') {
        Some((cluster, id)) => (Some(cluster), id),
        None => (None, path),
    }
}

/// A task-definition reference: `family`, `family:revision` or an ARN, to (family, revision).
pub fn task_definition_ref(reference: &str) -> (&str, Option<&str>) {
    let r = resource_of(reference)
        .and_then(|r| r.strip_prefix("task-definition/"))
        .unwrap_or(reference);
    match r.rsplit_once(':') {
        Some((family, rev)) => (family, Some(rev)),
        None => (r, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_long_format_arns() {
        let a = Arns::new("us-east-1", "123456789012");
        assert_eq!(
            a.cluster("prod"),
            "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
        );
        assert_eq!(
            a.task("prod", "abc"),
            "arn:aws:ecs:us-east-1:123456789012:task/prod/abc"
        );
        assert_eq!(
            a.task_definition("web", 3),
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
        );
    }

    #[test]
    fn parses_references() {
        assert_eq!(cluster_name("arn:aws:ecs:us-east-1:1:cluster/prod"), "prod");
        assert_eq!(cluster_name("prod"), "prod");
        assert_eq!(
            scoped_id("arn:aws:ecs:us-east-1:1:task/prod/abc", "task"),
            (Some("prod"), "abc")
        );
        assert_eq!(
            scoped_id("arn:aws:ecs:us-east-1:1:task/abc", "task"),
            (None, "abc")
        );
        assert_eq!(scoped_id("abc", "task"), (None, "abc"));
        assert_eq!(task_definition_ref("web:3"), ("web", Some("3")));
        assert_eq!(task_definition_ref("web"), ("web", None));
        assert_eq!(
            task_definition_ref("arn:aws:ecs:us-east-1:1:task-definition/web:7"),
            ("web", Some("7"))
        );
    }
}
