"""One module per business area; plain values in, frozen dataclasses out."""
