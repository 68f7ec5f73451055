pub mod actions;
pub mod fault_proxy;
pub mod health;
pub mod moto;
pub mod terminal;
