//! Stories over HTTP: the workflow matrix, the composer's checks, time zones on DST days in both
//! hemispheres, CSV import and calendar export, campaigns, rules, accounts, images and
//! notifications, and two people moving one story at the same moment.

mod calendar_view;
mod campaigns_admin;
mod composer;
mod concurrency;
mod connected;
mod early_images;
mod exports;
mod four_eyes;
mod images;
mod parity;
mod planning;
mod published;
mod reschedule;
pub(crate) mod seed;
mod timezones;
mod workflow;
