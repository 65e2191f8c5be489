//! The HTTP face of Chorus: the JSON API and the server-rendered UI. The only crate that knows HTTP.
