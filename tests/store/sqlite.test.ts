import { describeStoreConformance } from "./conformance.js";

describeStoreConformance("sqlite");
