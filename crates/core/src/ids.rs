//! Dense identifiers of the model's entities: indexes into the world's vectors, never strings.
//!
//! An id is only ever created by the world when it appends the entity, so every id in circulation
//! indexes a live slot (entities are never removed, only marked INACTIVE or STOPPED).

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The index of this id in its world vector.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

dense_id!(
    /// A cluster.
    ClusterId
);
dense_id!(
    /// A container instance.
    InstanceId
);
dense_id!(
    /// A task.
    TaskId
);
dense_id!(
    /// One revision of a task definition.
    TaskDefId
);
dense_id!(
    /// A service.
    ServiceId
);
dense_id!(
    /// An Availability Zone named at registration, numbered by the world in order of first
    /// sight: per-zone counts compare numbers, not zone names.
    ZoneId
);
