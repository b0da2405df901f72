// esbuild loads .css imports as text (js/build.mjs); widgets inject it in a <style>.
declare module "*.css" {
  const text: string;
  export default text;
}
