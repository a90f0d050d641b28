import { describeStoreConformance } from "./conformance.js";

describeStoreConformance("postgres");
