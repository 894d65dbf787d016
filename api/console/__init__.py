"""The district console: sign-in with the district's identity provider, console sessions."""
