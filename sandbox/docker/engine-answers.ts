import { z } from "zod";

/**
 * The parts of Docker Engine API answers PushPals reads. DOCKER_HOST may point at
 * Docker, podman or something else that speaks HTTP; an answer of another shape is
 * an EngineError naming the field instead of an undefined deep inside the driver.
 */
export const engineVersion = z.object({
  ApiVersion: z
    .string()
    .regex(/^\d+\.\d+$/, "must be an API version like 1.43")
    .optional(),
});
export const engineError = z.object({ message: z.string() });
export const createdObject = z.object({ Id: z.string().min(1, "must be the new object's id") });
export const containerList = z.array(z.object({ Id: z.string().min(1) }));
export const execInspect = z.object({ Running: z.boolean(), ExitCode: z.number().int().nullable() });
