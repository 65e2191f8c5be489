//! Who is asking: signing in and out, sessions, API tokens, passwords.
