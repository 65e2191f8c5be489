//! The listening query language: parse boolean queries into an AST and compile many of them into
//! one matcher that finds, for each post, every query it matches (reverse search). Pure: no IO.
