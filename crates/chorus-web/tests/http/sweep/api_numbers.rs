//! The JSON API of Numbers: the report and its CSV, over every market the person reads, and
//! narrowed to one market by code.

use super::harness::{Case, Sweep, get};
use super::model::{MARKETS, Mkt, Persona, Place, Power, Want, collection};
use super::world::World;

pub const ROUTES: &[&str] = &["GET /api/v1/numbers", "GET /api/v1/numbers.csv"];

/// Whether the person reads numbers anywhere.
fn measures(p: &Persona) -> bool {
    p.can_in_any(Power::ReadNumbers, &MARKETS)
}

pub async fn run(w: &World, sw: &mut Sweep) {
    let names = [Mkt::Br.name(), Mkt::Jp.name()];
    for (route, path) in [
        ("GET /api/v1/numbers", "/api/v1/numbers"),
        ("GET /api/v1/numbers.csv", "/api/v1/numbers.csv"),
    ] {
        // Someone who reads no market's numbers is refused the report (403); the others get
        // their markets' rows.
        sw.each(
            w,
            Case::new(route, Place::Global).showing(&names),
            async |_| (),
            |p| collection(measures(p), Want::Read(200)),
            |_, _| get(path),
        )
        .await;
        for place in [Place::Own, Place::Other] {
            let Some(m) = place.market() else { continue };
            // A market they may not read does not exist for them (404).
            sw.each(
                w,
                Case::new(route, place).naming(&[m]).showing(&[m.name()]),
                async |_| (),
                |p| {
                    collection(
                        measures(p),
                        if p.can(Power::ReadNumbers, m) {
                            Want::Read(200)
                        } else {
                            Want::No(404)
                        },
                    )
                },
                |_, _| get(format!("{path}?market={}&group_by=market", m.code())),
            )
            .await;
        }
    }
}
