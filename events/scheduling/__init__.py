"""Events: create, edit, publish, duplicate; the catalogue's queries."""
