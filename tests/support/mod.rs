pub mod actions;
pub mod fault_proxy;
pub mod moto;
