"""Reference code systems (CIM-10...): shared, non-patient data used by the clinical domains."""
