//! The local IoT Hub twin emulator.
//!
//! Empty for now: the registry, durable twin store and REST API arrive with "Emulator part 1",
//! the MQTT device endpoint with part 2 and the query engine with part 3 (see the issues).
//! It already depends on `iothub-twin` so that both sides share one definition of SAS, the twin
//! model, merge-patch and limits.
