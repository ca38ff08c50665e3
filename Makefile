# Terrarium's tasks. `make run` and `make test` are the README's two commands.
GO ?= go
PLUGINS := $(patsubst plugins/%/main.go,%,$(wildcard plugins/*/main.go))

.PHONY: run test bench plugins examples lint deps clean

# Run the bundled echo scenario end to end on embedded defaults.
run:
	$(GO) run ./cmd/terrarium run plugins/echo/scenario.yaml --seed 7 --out out/echo

# Every test: host packages, the guest SDK vetted for wasip1, the plugins.
test: deps
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./plugins/...
	$(GO) test -timeout 40m ./...

# Go benchmarks (speed and memory are measured here, never asserted).
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# Build every plugin's guest module into build/plugins/NAME.wasm.
plugins:
	@mkdir -p build/plugins
	@for p in $(PLUGINS); do \
		echo "build plugins/$$p -> build/plugins/$$p.wasm"; \
		(cd plugins/$$p && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o ../../build/plugins/$$p.wasm .) || exit 1; \
	done

# Build the example nodes without an SDK (plugins/examples) into build/examples.
examples: deps
	@mkdir -p build/examples
	node_modules/.bin/wat2wasm --enable-all plugins/examples/wat/echo.wat -o build/examples/echo-wat.wasm
	node_modules/.bin/asc plugins/examples/assemblyscript/echo.ts -o build/examples/echo-as.wasm --runtime incremental --optimize

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && false)
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./plugins/...

# wabt (wat2wasm) compiles the WAT test guests and example; assemblyscript
# (asc) the AssemblyScript example.
deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

clean:
	rm -rf build out
