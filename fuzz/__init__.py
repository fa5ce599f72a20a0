"""`just fuzz`: schemathesis over the ingress's whole OpenAPI document, on a real stack."""
