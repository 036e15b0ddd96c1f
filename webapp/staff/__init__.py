"""The staff list: who a programme should reach, how far it has (coverage), and
inviting those not yet reached. Personal data: organisers and admins only."""
