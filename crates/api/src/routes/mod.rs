//! One router function per resource.

pub(crate) mod audit;
pub(crate) mod authorizations;
pub(crate) mod authz_check;
pub(crate) mod legacy;
pub(crate) mod session;
pub(crate) mod setup;
pub(crate) mod system;
pub(crate) mod tenants;
pub(crate) mod ui;
