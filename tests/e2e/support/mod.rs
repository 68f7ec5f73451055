pub mod actions;
pub mod cli;
pub mod fault_proxy;
pub mod health;
pub mod http_server;
pub mod moto;
pub mod terminal;
pub mod world;
