//! Per-test stores (to be written).
