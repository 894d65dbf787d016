"""The learner player: a static web client of the public JSON API, served at `/player/`."""
