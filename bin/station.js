#!/usr/bin/env node
'use strict';
// The package bin: the CLI is compiled to dist/ by `npm run build`.
require('../dist/electron/cli/station.js');
