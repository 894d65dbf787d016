"""Front Office's Litestar API: app factory, areas (controllers and services), storage, auth."""
