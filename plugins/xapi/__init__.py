"""The xAPI plugin: statements to a district's Learning Record Store (see README, "xAPI")."""
