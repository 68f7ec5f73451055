pub mod fault_proxy;
pub mod moto;
