//! placeholder
wit_bindgen::generate!({ world: "client", path: "../wit" });
