"""The SimPy digital twin (not built yet).

It will interpret the gateway's own flows (``gateway.core``) and the fakes' fault engine
(``fake_providers.faults``) in virtual time, writing the same records as a live run, so the
same reports and expectations apply.
"""
