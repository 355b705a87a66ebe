// Runs every SELECT query in a folder through Jena ARQ over the given RDF files, in one JVM:
// java jena_select.java QUERY_DIR OUT_DIR DATA... writes OUT_DIR/NAME.srj (SPARQL JSON results)
// or OUT_DIR/NAME.err (the engine's message) for each QUERY_DIR/NAME.rq.
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import org.apache.jena.query.*;
import org.apache.jena.rdf.model.*;
import org.apache.jena.riot.RDFDataMgr;

public class JenaSelect {
    public static void main(String[] args) throws Exception {
        Path queries = Paths.get(args[0]), out = Paths.get(args[1]);
        Model model = ModelFactory.createDefaultModel();
        for (int i = 2; i < args.length; i++) RDFDataMgr.read(model, args[i]);
        Dataset dataset = DatasetFactory.wrap(model);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(queries, "*.rq")) {
            for (Path file : files) {
                String name = file.getFileName().toString().replaceFirst("\\.rq$", "");
                String text = Files.readString(file, StandardCharsets.UTF_8);
                try (QueryExecution exec = QueryExecutionFactory.create(
                         QueryFactory.create(text, Syntax.syntaxSPARQL_11), dataset);
                     OutputStream os = Files.newOutputStream(out.resolve(name + ".srj"))) {
                    ResultSetFormatter.outputAsJSON(os, exec.execSelect());
                } catch (Exception e) {
                    Files.deleteIfExists(out.resolve(name + ".srj"));
                    Files.writeString(out.resolve(name + ".err"), String.valueOf(e), StandardCharsets.UTF_8);
                }
            }
        }
    }
}
