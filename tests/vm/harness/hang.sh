# Never finishes: the harness must stop it at its timeout and fail.
sleep 100000
