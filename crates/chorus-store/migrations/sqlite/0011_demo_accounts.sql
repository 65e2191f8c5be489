-- Demo accounts (`chorus serve --demo`): accounts the demo loader made, connected to no
-- network. Their publications and Numbers history are generated, and the pages say so; the
-- collector never measures them. 1 for a demo account, 0 for every real one. Connecting an
-- account (again) makes it real: `connect_account` writes 0.
ALTER TABLE accounts ADD COLUMN demo BIGINT NOT NULL DEFAULT 0;
