"""Clinical record: encounters, problems, allergies, observations, immunizations, documents."""
