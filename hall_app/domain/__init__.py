"""Pure business rules and values: validators, money, tax, masking. No I/O, no ORM, no Qt."""
