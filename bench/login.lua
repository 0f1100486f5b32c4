-- wrk script: POST /token/new.json with the form fields from the environment.
wrk.method = "POST"
wrk.body = "username=" .. os.getenv("BENCH_USERNAME") .. "&password=" .. os.getenv("BENCH_PASSWORD")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
