//! Built-in catalogue of EC2 instance types for ECS container instances.
//!
//! A scenario may name an instance type (`m5.large`) instead of spelling out the resources of each
//! container instance. This module maps the name to what the ECS agent on an ECS-optimized Amazon
//! Linux 2023 AMI would register: CPU units, memory, the awsvpc ENI limit (with and without
//! trunking), the CPU architecture, GPUs, and the built-in attributes (see [`ami_attributes`]).
//!
//! # Coverage
//!
//! Families `t3`, `m5`, `m6i`, `m6g`, `c5`, `c6i`, `c6g`, `r5`, `r6i`, `g4dn` and `p3`, every size from
//! the smallest (`nano`/`medium`/`large`) up to the largest virtualised size, plus `metal` where the
//! family has one (not `t3`, not `p3`; `p3dn` is a separate family and is not covered). The table is
//! sorted by name (byte order) and looked up by binary search.
//!
//! # Sources
//!
//! * vCPUs, installed memory, GPUs and "maximum network interfaces": the public Amazon EC2
//!   instance-type specifications (`DescribeInstanceTypes` `VCpuInfo`, `MemoryInfo.SizeInMiB`,
//!   `GpuInfo`, `NetworkInfo.MaximumNetworkInterfaces`), from memory of the EC2 User Guide tables.
//!   The ENI counts agree with the ECS trunking table below (ENIs = tasks without trunking + 1) for
//!   every type that table lists, and with the EKS `eni-max-pods.txt` values for `t3`, `g4dn` and `p3`.
//! * CPU: the agent registers `CPU = NumCPU * 1024` (semantics §4.1), see
//!   [`InstanceType::registered_cpu_units`].
//! * ENI limit with trunking: ECS Developer Guide, "Elastic network interface trunking",
//!   supported-instance-types table (`container-instance-eni.md`), which gives *task* limits; the
//!   ENI limit is `tasks with trunking + 2` (primary + trunk ENI), semantics §4.5. `None` where the
//!   guide says the type or family is not supported: the whole `t3` family (not listed), the whole
//!   `g4dn` family, and `m5.metal`, `c5.metal`, `r5.metal` and `r5.8xlarge` (listed as exceptions).
//!   The `m6i`, `m6g`, `c6i`, `c6g` and `r6i` `metal` sizes *are* listed in that table (14 tasks
//!   without, 120 with trunking), so they get `Some(122)`.
//!
//! # Registered memory (approximation)
//!
//! The agent registers `MEMORY = floor(MemTotal / MiB) - ECS_RESERVED_MEMORY` (semantics §4.3), where
//! `MemTotal` is what the kernel reports, which is less than the installed memory. AWS publishes no
//! per-type table. The only documented ECS-optimized Linux data point is `m4.large`: 8 GiB installed
//! (8192 MiB), 7985 MiB registered ("8373026816 bytes", Developer Guide `memory-management.md`), an
//! overhead of 2.53 %. We apply one formula to every type:
//!
//! ```text
//! registered_memory_mib = floor(memory_mib_installed * 39 / 40)      (2.5 % kernel/AMI overhead)
//! ```
//!
//! which gives 7987 MiB for 8192 MiB (the documented value is 7985: +2 MiB, +0.03 %).
//! `ECS_RESERVED_MEMORY` is 0 (the agent default). Known error: the real overhead is not purely
//! proportional (part of it is fixed, part scales with memory, and Nitro vs. Xen differ), so small types
//! are probably over-estimated by a few percent (for instance, the undocumented-type 2-vCPU examples
//! registering 3767 and 3955 MiB would be 3993 MiB by this formula if they were 4 GiB types) and the
//! very large types are uncertain by a similar relative amount. Scenarios that need exact values
//! should give the registered memory explicitly.
//!
//! # Attributes
//!
//! [`ami_attributes`] returns the built-in attributes an ECS-optimized AL2023 instance registers,
//! except `ecs.availability-zone` (and `ecs.vpc-id` / `ecs.subnet-id`), which the caller adds. The
//! capability set is a realistic but simplified snapshot; see the function's documentation.

/// MiB in one GiB.
const GIB: u32 = 1024;

/// The `ecs.cpu-architecture` value for Intel/AMD types.
pub const ARCH_X86_64: &str = "x86_64";
/// The `ecs.cpu-architecture` value for Graviton types.
pub const ARCH_ARM64: &str = "arm64";

/// The fake `ecs.ami-id` every simulated x86_64 ECS-optimized AL2023 instance reports.
pub const AMI_ID_X86_64: &str = "ami-0ecsim0000x86064";
/// The fake `ecs.ami-id` every simulated arm64 ECS-optimized AL2023 instance reports.
pub const AMI_ID_ARM64: &str = "ami-0ecsim000arm6400";

const X86: &str = ARCH_X86_64;
const ARM: &str = ARCH_ARM64;

/// One EC2 instance type as seen by ECS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceType {
    /// API name, for example `m5.large`.
    pub name: &'static str,
    /// vCPUs (hyperthreads), as EC2 reports them.
    pub vcpus: u32,
    /// Installed memory in MiB, as EC2 advertises it (8 GiB = 8192).
    pub memory_mib_installed: u32,
    /// What the ECS agent registers as `MEMORY` (approximation, see the module documentation).
    pub registered_memory_mib: u32,
    /// Maximum network interfaces, primary included, without awsvpc trunking.
    pub eni_limit: u32,
    /// Maximum network interfaces with awsvpc trunking (primary and trunk ENI included); `None` when
    /// ECS does not support trunking on this type.
    pub eni_limit_trunking: Option<u32>,
    /// `x86_64` or `arm64` (the `ecs.cpu-architecture` value).
    pub architecture: &'static str,
    /// Number of NVIDIA GPUs.
    pub gpus: u32,
    /// GPU model (`T4`, `V100`), `None` when `gpus == 0`.
    pub gpu_model: Option<&'static str>,
}

impl InstanceType {
    /// CPU units the agent registers: 1024 per vCPU (semantics §4.1).
    #[must_use]
    pub fn registered_cpu_units(&self) -> u32 {
        self.vcpus * 1024
    }

    /// The family part of the name (`m5` for `m5.large`).
    #[must_use]
    pub fn family(&self) -> &'static str {
        match self.name.split_once('.') {
            Some((family, _)) => family,
            None => self.name,
        }
    }

    /// The size part of the name (`large` for `m5.large`).
    #[must_use]
    pub fn size(&self) -> &'static str {
        match self.name.split_once('.') {
            Some((_, size)) => size,
            None => "",
        }
    }

    /// Whether this is a bare-metal size.
    #[must_use]
    pub fn is_metal(&self) -> bool {
        self.size() == "metal"
    }
}

/// The approximation of registered memory used for every type: installed MiB minus a 2.5 %
/// kernel/AMI reserve, rounded down. See the module documentation for its calibration and error.
#[must_use]
pub const fn registered_memory_from_installed(memory_mib_installed: u32) -> u32 {
    // u64 so that no realistic size can overflow; the result is below the input, so it fits u32.
    ((memory_mib_installed as u64) * 39 / 40) as u32
}

/// Table row constructor.
#[allow(clippy::too_many_arguments)]
const fn it(
    name: &'static str,
    vcpus: u32,
    memory_mib_installed: u32,
    eni_limit: u32,
    eni_limit_trunking: Option<u32>,
    architecture: &'static str,
    gpus: u32,
    gpu_model: Option<&'static str>,
) -> InstanceType {
    InstanceType {
        name,
        vcpus,
        memory_mib_installed,
        registered_memory_mib: registered_memory_from_installed(memory_mib_installed),
        eni_limit,
        eni_limit_trunking,
        architecture,
        gpus,
        gpu_model,
    }
}

/// The catalogue, sorted by `name` in byte order (checked by a test).
///
/// Columns: name, vCPUs, installed MiB, ENI limit, ENI limit with trunking
/// (= ECS "task limit with ENI trunking" + 2), architecture, GPUs, GPU model.
static CATALOGUE: &[InstanceType] = &[
    it("c5.12xlarge", 48, 96 * GIB, 8, Some(62), X86, 0, None),
    it("c5.18xlarge", 72, 144 * GIB, 15, Some(122), X86, 0, None),
    it("c5.24xlarge", 96, 192 * GIB, 15, Some(122), X86, 0, None),
    it("c5.2xlarge", 8, 16 * GIB, 4, Some(42), X86, 0, None),
    it("c5.4xlarge", 16, 32 * GIB, 8, Some(62), X86, 0, None),
    it("c5.9xlarge", 36, 72 * GIB, 8, Some(62), X86, 0, None),
    it("c5.large", 2, 4 * GIB, 3, Some(12), X86, 0, None),
    it("c5.metal", 96, 192 * GIB, 15, None, X86, 0, None),
    it("c5.xlarge", 4, 8 * GIB, 4, Some(22), X86, 0, None),
    it("c6g.12xlarge", 48, 96 * GIB, 8, Some(62), ARM, 0, None),
    it("c6g.16xlarge", 64, 128 * GIB, 15, Some(122), ARM, 0, None),
    it("c6g.2xlarge", 8, 16 * GIB, 4, Some(42), ARM, 0, None),
    it("c6g.4xlarge", 16, 32 * GIB, 8, Some(62), ARM, 0, None),
    it("c6g.8xlarge", 32, 64 * GIB, 8, Some(62), ARM, 0, None),
    it("c6g.large", 2, 4 * GIB, 3, Some(12), ARM, 0, None),
    it("c6g.medium", 1, 2 * GIB, 2, Some(6), ARM, 0, None),
    it("c6g.metal", 64, 128 * GIB, 15, Some(122), ARM, 0, None),
    it("c6g.xlarge", 4, 8 * GIB, 4, Some(22), ARM, 0, None),
    it("c6i.12xlarge", 48, 96 * GIB, 8, Some(122), X86, 0, None),
    it("c6i.16xlarge", 64, 128 * GIB, 15, Some(122), X86, 0, None),
    it("c6i.24xlarge", 96, 192 * GIB, 15, Some(122), X86, 0, None),
    it("c6i.2xlarge", 8, 16 * GIB, 4, Some(42), X86, 0, None),
    it("c6i.32xlarge", 128, 256 * GIB, 15, Some(122), X86, 0, None),
    it("c6i.4xlarge", 16, 32 * GIB, 8, Some(62), X86, 0, None),
    it("c6i.8xlarge", 32, 64 * GIB, 8, Some(92), X86, 0, None),
    it("c6i.large", 2, 4 * GIB, 3, Some(12), X86, 0, None),
    it("c6i.metal", 128, 256 * GIB, 15, Some(122), X86, 0, None),
    it("c6i.xlarge", 4, 8 * GIB, 4, Some(22), X86, 0, None),
    // g4dn: the family is listed as not supported for trunking.
    it("g4dn.12xlarge", 48, 192 * GIB, 8, None, X86, 4, Some("T4")),
    it("g4dn.16xlarge", 64, 256 * GIB, 4, None, X86, 1, Some("T4")),
    it("g4dn.2xlarge", 8, 32 * GIB, 3, None, X86, 1, Some("T4")),
    it("g4dn.4xlarge", 16, 64 * GIB, 3, None, X86, 1, Some("T4")),
    it("g4dn.8xlarge", 32, 128 * GIB, 4, None, X86, 1, Some("T4")),
    it("g4dn.metal", 96, 384 * GIB, 15, None, X86, 8, Some("T4")),
    it("g4dn.xlarge", 4, 16 * GIB, 3, None, X86, 1, Some("T4")),
    it("m5.12xlarge", 48, 192 * GIB, 8, Some(62), X86, 0, None),
    it("m5.16xlarge", 64, 256 * GIB, 15, Some(122), X86, 0, None),
    it("m5.24xlarge", 96, 384 * GIB, 15, Some(122), X86, 0, None),
    it("m5.2xlarge", 8, 32 * GIB, 4, Some(42), X86, 0, None),
    it("m5.4xlarge", 16, 64 * GIB, 8, Some(62), X86, 0, None),
    it("m5.8xlarge", 32, 128 * GIB, 8, Some(62), X86, 0, None),
    it("m5.large", 2, 8 * GIB, 3, Some(12), X86, 0, None),
    // m5.metal, c5.metal and r5.metal: explicit trunking exceptions in the ECS guide.
    it("m5.metal", 96, 384 * GIB, 15, None, X86, 0, None),
    it("m5.xlarge", 4, 16 * GIB, 4, Some(22), X86, 0, None),
    it("m6g.12xlarge", 48, 192 * GIB, 8, Some(62), ARM, 0, None),
    it("m6g.16xlarge", 64, 256 * GIB, 15, Some(122), ARM, 0, None),
    it("m6g.2xlarge", 8, 32 * GIB, 4, Some(42), ARM, 0, None),
    it("m6g.4xlarge", 16, 64 * GIB, 8, Some(62), ARM, 0, None),
    it("m6g.8xlarge", 32, 128 * GIB, 8, Some(62), ARM, 0, None),
    it("m6g.large", 2, 8 * GIB, 3, Some(12), ARM, 0, None),
    it("m6g.medium", 1, 4 * GIB, 2, Some(6), ARM, 0, None),
    it("m6g.metal", 64, 256 * GIB, 15, Some(122), ARM, 0, None),
    it("m6g.xlarge", 4, 16 * GIB, 4, Some(22), ARM, 0, None),
    it("m6i.12xlarge", 48, 192 * GIB, 8, Some(122), X86, 0, None),
    it("m6i.16xlarge", 64, 256 * GIB, 15, Some(122), X86, 0, None),
    it("m6i.24xlarge", 96, 384 * GIB, 15, Some(122), X86, 0, None),
    it("m6i.2xlarge", 8, 32 * GIB, 4, Some(42), X86, 0, None),
    it("m6i.32xlarge", 128, 512 * GIB, 15, Some(122), X86, 0, None),
    it("m6i.4xlarge", 16, 64 * GIB, 8, Some(62), X86, 0, None),
    it("m6i.8xlarge", 32, 128 * GIB, 8, Some(92), X86, 0, None),
    it("m6i.large", 2, 8 * GIB, 3, Some(12), X86, 0, None),
    it("m6i.metal", 128, 512 * GIB, 15, Some(122), X86, 0, None),
    it("m6i.xlarge", 4, 16 * GIB, 4, Some(22), X86, 0, None),
    // p3: trunking task limits 40 / 60 / 120 from the ECS accelerated-computing table.
    it(
        "p3.16xlarge",
        64,
        488 * GIB,
        8,
        Some(122),
        X86,
        8,
        Some("V100"),
    ),
    it("p3.2xlarge", 8, 61 * GIB, 4, Some(42), X86, 1, Some("V100")),
    it(
        "p3.8xlarge",
        32,
        244 * GIB,
        8,
        Some(62),
        X86,
        4,
        Some("V100"),
    ),
    it("r5.12xlarge", 48, 384 * GIB, 8, Some(62), X86, 0, None),
    it("r5.16xlarge", 64, 512 * GIB, 15, Some(122), X86, 0, None),
    it("r5.24xlarge", 96, 768 * GIB, 15, Some(122), X86, 0, None),
    it("r5.2xlarge", 8, 64 * GIB, 4, Some(42), X86, 0, None),
    it("r5.4xlarge", 16, 128 * GIB, 8, Some(62), X86, 0, None),
    // r5.8xlarge is an explicit exception in the ECS trunking table ("not supported").
    it("r5.8xlarge", 32, 256 * GIB, 8, None, X86, 0, None),
    it("r5.large", 2, 16 * GIB, 3, Some(12), X86, 0, None),
    it("r5.metal", 96, 768 * GIB, 15, None, X86, 0, None),
    it("r5.xlarge", 4, 32 * GIB, 4, Some(22), X86, 0, None),
    it("r6i.12xlarge", 48, 384 * GIB, 8, Some(122), X86, 0, None),
    it("r6i.16xlarge", 64, 512 * GIB, 15, Some(122), X86, 0, None),
    it("r6i.24xlarge", 96, 768 * GIB, 15, Some(122), X86, 0, None),
    it("r6i.2xlarge", 8, 64 * GIB, 4, Some(42), X86, 0, None),
    it("r6i.32xlarge", 128, 1024 * GIB, 15, Some(122), X86, 0, None),
    it("r6i.4xlarge", 16, 128 * GIB, 8, Some(62), X86, 0, None),
    it("r6i.8xlarge", 32, 256 * GIB, 8, Some(92), X86, 0, None),
    it("r6i.large", 2, 16 * GIB, 3, Some(12), X86, 0, None),
    it("r6i.metal", 128, 1024 * GIB, 15, Some(122), X86, 0, None),
    it("r6i.xlarge", 4, 32 * GIB, 4, Some(22), X86, 0, None),
    // t3: not in the ECS trunking table, so no trunking (burstable types are not supported).
    it("t3.2xlarge", 8, 32 * GIB, 4, None, X86, 0, None),
    it("t3.large", 2, 8 * GIB, 3, None, X86, 0, None),
    it("t3.medium", 2, 4 * GIB, 3, None, X86, 0, None),
    it("t3.micro", 2, GIB, 2, None, X86, 0, None),
    it("t3.nano", 2, GIB / 2, 2, None, X86, 0, None),
    it("t3.small", 2, 2 * GIB, 3, None, X86, 0, None),
    it("t3.xlarge", 4, 16 * GIB, 4, None, X86, 0, None),
];

/// Looks up an instance type by its exact API name (case-sensitive, as EC2 names are lower case).
#[must_use]
pub fn lookup(name: &str) -> Option<&'static InstanceType> {
    CATALOGUE
        .binary_search_by(|t| t.name.cmp(name))
        .ok()
        .map(|i| &CATALOGUE[i])
}

/// Every catalogued type, sorted by name.
#[must_use]
pub fn all() -> &'static [InstanceType] {
    CATALOGUE
}

/// Docker remote API versions advertised as `com.amazonaws.ecs.capability.docker-remote-api.<v>`.
///
/// The agent advertises the API versions it knows (`GetKnownAPIVersions`, 1.17 to 1.32 in
/// `agent/dockerclient/versions.go`) that the local Docker supports; since Docker 25 the versions
/// below the daemon minimum are still advertised (`SupportedVersionsExtended`,
/// `agent/dockerclient/versions_unix.go`). On a current AL2023 AMI that is the whole known list.
const DOCKER_REMOTE_API_VERSIONS: &[&str] = &[
    "1.17", "1.18", "1.19", "1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27", "1.28",
    "1.29", "1.30", "1.31", "1.32",
];

/// Value-less `com.amazonaws.ecs.capability.*` suffixes besides the Docker API versions.
///
/// Logging drivers are the ECS-optimized AMI's `ECS_AVAILABLE_LOGGING_DRIVERS`
/// (`["json-file","syslog","awslogs","none"]`, set by ecs-init) plus `awsfirelens`, which the agent adds
/// itself on Linux.
const LEGACY_CAPABILITIES: &[&str] = &[
    "ecr-auth",
    "logging-driver.awsfirelens",
    "logging-driver.awslogs",
    "logging-driver.json-file",
    "logging-driver.none",
    "logging-driver.syslog",
    "privileged-container",
    "task-iam-role",
    "task-iam-role-network-host",
];

/// Value-less `ecs.capability.*` suffixes registered by a current Linux agent on the AL2023 AMI.
const ECS_CAPABILITIES: &[&str] = &[
    "aws-appmesh",
    "container-health-check",
    "container-ordering",
    "efs",
    "efsAuth",
    "env-files.s3",
    "execution-role-awslogs",
    "execution-role-ecr-pull",
    "firelens.fluentbit",
    "firelens.fluentd",
    "pid-ipc-namespace-sharing",
    "private-registry-authentication.secretsmanager",
    "secrets.asm.environment-variables",
    "secrets.ssm.environment-variables",
    "task-cpu-mem-limit",
    "task-eni",
];

/// The attributes the ECS agent of an ECS-optimized Amazon Linux 2023 AMI registers for an instance
/// of type `t`, as `(name, value)` pairs sorted by name.
///
/// * Valued: `ecs.ami-id` ([`AMI_ID_X86_64`] or [`AMI_ID_ARM64`], fake but stable),
///   `ecs.cpu-architecture`, `ecs.instance-type`, `ecs.os-family` = `LINUX`, `ecs.os-type` = `linux`.
/// * Value-less capabilities: `com.amazonaws.ecs.capability.docker-remote-api.1.17` to `1.32`,
///   `...privileged-container`, `...logging-driver.{awsfirelens,awslogs,json-file,none,syslog}`,
///   `...task-iam-role`, `...task-iam-role-network-host`, `...ecr-auth`, and the `ecs.capability.*`
///   set (including `task-eni`, required by awsvpc tasks).
///
/// Not included: `ecs.availability-zone`, `ecs.vpc-id`, `ecs.subnet-id` (the caller knows them),
/// `ecs.awsvpc-trunk-id` (only with trunking), and nothing GPU-specific (GPUs are registered as a
/// `GPU` resource, not as an attribute we could justify).
#[must_use]
pub fn ami_attributes(t: &InstanceType) -> Vec<(String, Option<String>)> {
    let ami_id = if t.architecture == ARCH_ARM64 {
        AMI_ID_ARM64
    } else {
        AMI_ID_X86_64
    };
    let mut attrs: Vec<(String, Option<String>)> = vec![
        ("ecs.ami-id".to_owned(), Some(ami_id.to_owned())),
        (
            "ecs.cpu-architecture".to_owned(),
            Some(t.architecture.to_owned()),
        ),
        ("ecs.instance-type".to_owned(), Some(t.name.to_owned())),
        ("ecs.os-family".to_owned(), Some("LINUX".to_owned())),
        ("ecs.os-type".to_owned(), Some("linux".to_owned())),
    ];
    attrs.extend(DOCKER_REMOTE_API_VERSIONS.iter().map(|v| {
        (
            format!("com.amazonaws.ecs.capability.docker-remote-api.{v}"),
            None,
        )
    }));
    attrs.extend(
        LEGACY_CAPABILITIES
            .iter()
            .map(|c| (format!("com.amazonaws.ecs.capability.{c}"), None)),
    );
    attrs.extend(
        ECS_CAPABILITIES
            .iter()
            .map(|c| (format!("ecs.capability.{c}"), None)),
    );
    attrs.sort_by(|a, b| a.0.cmp(&b.0));
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m5_large_exact() {
        let t = lookup("m5.large").expect("m5.large");
        assert_eq!(t.vcpus, 2);
        assert_eq!(t.registered_cpu_units(), 2048);
        assert_eq!(t.memory_mib_installed, 8192);
        assert_eq!(t.registered_memory_mib, 7987);
        assert_eq!(t.eni_limit, 3);
        assert_eq!(t.eni_limit_trunking, Some(12));
        assert_eq!(t.architecture, "x86_64");
        assert_eq!(t.gpus, 0);
        assert_eq!(t.gpu_model, None);
    }

    #[test]
    fn registered_memory_close_to_documented_m4_large() {
        // m4.large registers 7985 MiB of 8192 (Developer Guide); same installed memory as m5.large.
        let r = registered_memory_from_installed(8192);
        assert!(r.abs_diff(7985) <= 5, "{r}");
    }

    #[test]
    fn c6g_medium_arm() {
        let t = lookup("c6g.medium").expect("c6g.medium");
        assert_eq!(t.architecture, "arm64");
        assert_eq!(t.vcpus, 1);
        assert_eq!(t.registered_cpu_units(), 1024);
        assert_eq!(t.memory_mib_installed, 2048);
        assert_eq!(t.eni_limit, 2);
        assert_eq!(t.eni_limit_trunking, Some(6));
    }

    #[test]
    fn gpu_types() {
        let g = lookup("g4dn.xlarge").expect("g4dn.xlarge");
        assert_eq!((g.gpus, g.gpu_model), (1, Some("T4")));
        assert_eq!(
            (g.vcpus, g.memory_mib_installed, g.eni_limit),
            (4, 16 * 1024, 3)
        );
        assert_eq!(g.eni_limit_trunking, None);
        let p = lookup("p3.8xlarge").expect("p3.8xlarge");
        assert_eq!((p.gpus, p.gpu_model), (4, Some("V100")));
        assert_eq!((p.vcpus, p.memory_mib_installed), (32, 244 * 1024));
        assert_eq!(lookup("g4dn.12xlarge").map(|t| t.gpus), Some(4));
        assert_eq!(lookup("p3.16xlarge").map(|t| t.gpus), Some(8));
        for t in all() {
            assert_eq!(t.gpus > 0, t.gpu_model.is_some(), "{}", t.name);
        }
    }

    #[test]
    fn eni_limits_from_the_brief_and_docs() {
        let eni = |n: &str| lookup(n).map(|t| (t.eni_limit, t.eni_limit_trunking));
        for (n, e) in [
            ("m5.large", 3),
            ("m5.xlarge", 4),
            ("m5.2xlarge", 4),
            ("m5.4xlarge", 8),
            ("m5.8xlarge", 8),
            ("m5.12xlarge", 8),
            ("m5.16xlarge", 15),
            ("m5.24xlarge", 15),
            ("c5.large", 3),
            ("t3.nano", 2),
            ("t3.micro", 2),
            ("t3.small", 3),
            ("t3.medium", 3),
            ("t3.large", 3),
            ("t3.xlarge", 4),
            ("t3.2xlarge", 4),
            ("m6g.medium", 2),
        ] {
            assert_eq!(eni(n).map(|x| x.0), Some(e), "{n}");
        }
        assert_eq!(eni("c5.xlarge"), Some((4, Some(22))));
        assert_eq!(eni("c5.2xlarge"), Some((4, Some(42))));
        assert_eq!(eni("m5.4xlarge"), Some((8, Some(62))));
        assert_eq!(eni("m5.24xlarge"), Some((15, Some(122))));
        assert_eq!(eni("m6i.8xlarge"), Some((8, Some(92))));
        assert_eq!(eni("r5.8xlarge"), Some((8, None)));
        for n in ["m5.metal", "c5.metal", "r5.metal", "t3.large", "g4dn.metal"] {
            assert_eq!(eni(n).and_then(|x| x.1), None, "{n}");
        }
        for t in all() {
            if let Some(tr) = t.eni_limit_trunking {
                assert!(tr > t.eni_limit, "{}", t.name);
            }
            if t.family() == "t3" || t.family() == "g4dn" {
                assert_eq!(t.eni_limit_trunking, None, "{}", t.name);
            }
        }
    }

    #[test]
    fn sorted_and_unique() {
        for w in all().windows(2) {
            assert!(w[0].name < w[1].name, "{} !< {}", w[0].name, w[1].name);
        }
        for t in all() {
            assert_eq!(lookup(t.name), Some(t));
        }
        assert_eq!(lookup("m5.huge"), None);
        assert_eq!(lookup("M5.LARGE"), None);
        assert_eq!(lookup(""), None);
    }

    #[test]
    fn every_family_present() {
        for f in [
            "t3", "m5", "m6i", "m6g", "c5", "c6i", "c6g", "r5", "r6i", "g4dn", "p3",
        ] {
            assert!(all().iter().any(|t| t.family() == f), "{f}");
        }
        for n in [
            "t3.nano",
            "m5.metal",
            "m6i.32xlarge",
            "m6g.metal",
            "c5.9xlarge",
            "c6i.metal",
            "c6g.16xlarge",
            "r5.24xlarge",
            "r6i.metal",
            "g4dn.metal",
            "p3.2xlarge",
        ] {
            assert!(lookup(n).is_some(), "{n}");
        }
    }

    #[test]
    fn architecture_matches_family() {
        for t in all() {
            let arm = t.family().ends_with('g');
            let want = if arm { "arm64" } else { "x86_64" };
            assert_eq!(t.architecture, want, "{}", t.name);
        }
    }

    #[test]
    fn registered_memory_below_installed() {
        for t in all() {
            assert!(
                t.registered_memory_mib < t.memory_mib_installed,
                "{}",
                t.name
            );
            assert!(t.registered_memory_mib > 0, "{}", t.name);
            assert_eq!(
                t.registered_memory_mib,
                registered_memory_from_installed(t.memory_mib_installed),
                "{}",
                t.name
            );
            assert!(t.vcpus > 0 && t.eni_limit >= 2, "{}", t.name);
        }
    }

    #[test]
    fn attributes_sorted_and_complete() {
        for t in all() {
            let attrs = ami_attributes(t);
            for w in attrs.windows(2) {
                assert!(w[0].0 < w[1].0, "{} !< {}", w[0].0, w[1].0);
            }
            let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            assert_eq!(get("ecs.capability.task-eni"), Some(None));
            assert_eq!(
                get("ecs.cpu-architecture"),
                Some(Some(t.architecture.to_owned()))
            );
            assert_eq!(get("ecs.instance-type"), Some(Some(t.name.to_owned())));
            assert_eq!(get("ecs.os-type"), Some(Some("linux".to_owned())));
            assert_eq!(get("ecs.os-family"), Some(Some("LINUX".to_owned())));
            assert_eq!(get("ecs.availability-zone"), None);
            assert_eq!(
                get("com.amazonaws.ecs.capability.docker-remote-api.1.17"),
                Some(None)
            );
            let ami = get("ecs.ami-id").flatten().expect("ami id");
            let want = if t.architecture == "arm64" {
                AMI_ID_ARM64
            } else {
                AMI_ID_X86_64
            };
            assert_eq!(ami, want);
        }
    }
}
