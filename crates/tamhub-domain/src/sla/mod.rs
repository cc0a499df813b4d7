//! The SLA engine (../shared/SLA-SPEC.md section 1). Pure: no IO, no clock. Instants are Unix
//! seconds (R-C1) and intervals are half-open (R-C2).

pub mod business_calendars;
pub mod calendar;
#[cfg(test)]
mod calendar_properties;
#[cfg(test)]
mod calendar_versions;
#[cfg(test)]
mod clock_properties;
pub mod display;
pub mod engine;
#[cfg(test)]
mod engine_properties;
#[cfg(test)]
mod golden;
pub mod model;
pub mod policies;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod reference_properties;
#[cfg(test)]
mod regressions;
mod replay;
mod rules;
pub mod scenario;
mod timeline;
#[cfg(test)]
mod timeline_golden;
#[cfg(test)]
mod timeline_properties;

/// Unix seconds, UTC (R-C1).
pub type Instant = i64;
