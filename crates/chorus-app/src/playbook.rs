//! The playbook: principles, their per-market examples, search.
