//! Social networks behind one `Network` trait: publish, delete, read engagement, stream posts.
