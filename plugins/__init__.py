"""Plugins: the protocol every plugin implements and the registry that loads them."""
